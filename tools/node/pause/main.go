// The test node's pod sandbox ("pause") process: it holds the pod's namespaces and waits for a
// signal to end. Built static, it is the only file of the pause image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
}
