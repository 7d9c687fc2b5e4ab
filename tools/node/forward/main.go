// scb-pod-forward: the test node's only bridge between a pod's network namespace and the host's
// loopback, started by the node's CNI plugin for each pod and killed on the pod's teardown.
// Pods of the test node have no link to the host (tools/node/cni/scb-pod-net), so:
//
//	-to-host POD_ADDR=HOST_ADDR  listens inside the pod on POD_ADDR (the kubernetes Service's
//	                             address, on the pod's own lo) and connects on the host to
//	                             HOST_ADDR (the apiserver on 127.0.0.1): in-cluster clients work.
//	-to-pod HOST_ADDR=POD_ADDR   listens on the host on HOST_ADDR (the pod's 127.x.y.z address)
//	                             and connects inside the pod to POD_ADDR: the kubelet's probes work.
//
// Both ends are loopback or inside the pod's namespace; nothing reaches another machine.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
)

type pairs []string

func (p *pairs) String() string     { return strings.Join(*p, ",") }
func (p *pairs) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	netnsPath := flag.String("netns", "", "the pod's network namespace (a path)")
	var toHost, toPod pairs
	flag.Var(&toHost, "to-host", "POD_ADDR=HOST_ADDR (repeatable)")
	flag.Var(&toPod, "to-pod", "HOST_ADDR=POD_ADDR (repeatable)")
	flag.Parse()
	if *netnsPath == "" {
		log.Fatal("-netns is required")
	}
	for _, pair := range toHost {
		listen, target := split(pair)
		var listener net.Listener
		inPod(*netnsPath, func() (err error) { listener, err = net.Listen("tcp", listen); return })
		go serve(listener, func() (net.Conn, error) { return net.Dial("tcp", target) })
	}
	for _, pair := range toPod {
		listen, target := split(pair)
		listener, err := net.Listen("tcp", listen)
		if err != nil {
			log.Fatalf("listen %s on the host: %v", listen, err)
		}
		go serve(listener, func() (conn net.Conn, err error) {
			inPod(*netnsPath, func() error { conn, err = net.Dial("tcp", target); return nil })
			return
		})
	}
	select {}
}

func split(pair string) (string, string) {
	listen, target, ok := strings.Cut(pair, "=")
	if !ok {
		log.Fatalf("%q is not LISTEN=TARGET", pair)
	}
	return listen, target
}

// inPod runs f on an OS thread switched into the pod's network namespace: sockets made there
// belong to the pod's namespace for good. The thread goes back to the host's namespace after.
func inPod(netnsPath string, f func() error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	host, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		log.Fatal(err)
	}
	defer host.Close()
	pod, err := os.Open(netnsPath)
	if err != nil {
		log.Fatal(err)
	}
	defer pod.Close()
	setns(pod)
	defer setns(host)
	if err := f(); err != nil {
		log.Fatal(err)
	}
}

// setns(2)'s number; the syscall package does not name it.
var sysSetns = map[string]uintptr{"amd64": 308, "arm64": 268}[runtime.GOARCH]

func setns(namespace *os.File) {
	if _, _, errno := syscall.RawSyscall(sysSetns, namespace.Fd(), syscall.CLONE_NEWNET, 0); errno != 0 {
		log.Fatalf("setns %s: %v", namespace.Name(), errno)
	}
}

func serve(listener net.Listener, dial func() (net.Conn, error)) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer conn.Close()
			upstream, err := dial()
			if err != nil {
				log.Printf("dial: %v", err)
				return
			}
			defer upstream.Close()
			done := make(chan struct{}, 2)
			go func() { io.Copy(upstream, conn); done <- struct{}{} }()
			go func() { io.Copy(conn, upstream); done <- struct{}{} }()
			<-done
		}()
	}
}
