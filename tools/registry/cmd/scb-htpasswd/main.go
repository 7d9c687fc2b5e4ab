// Prints one htpasswd line, "<user>:<bcrypt hash>", for the user named by the first argument and
// the password read from standard input (never from the command line); an optional second
// argument is the bcrypt cost (default 10). The registry's htpasswd authentication accepts only
// bcrypt, and neither Node.js nor this machine's Debian base has it. The registry checks the hash
// on every request, so throwaway test registries use the minimum cost, 4.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	cost := bcrypt.DefaultCost
	if len(os.Args) == 3 {
		parsed, err := strconv.Atoi(os.Args[2])
		if err != nil || parsed < bcrypt.MinCost || parsed > bcrypt.MaxCost {
			fmt.Fprintln(os.Stderr, "scb-htpasswd: the cost must be a number from 4 to 31")
			os.Exit(2)
		}
		cost = parsed
	}
	if len(os.Args) < 2 || len(os.Args) > 3 || strings.ContainsAny(os.Args[1], ":\n") {
		fmt.Fprintln(os.Stderr, "usage: scb-htpasswd <user> [cost] < password")
		os.Exit(2)
	}
	password, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && password == "" {
		fmt.Fprintln(os.Stderr, "scb-htpasswd: no password on standard input")
		os.Exit(2)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(password, "\n")), cost)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scb-htpasswd:", err)
		os.Exit(1)
	}
	fmt.Printf("%s:%s\n", os.Args[1], hash)
}
