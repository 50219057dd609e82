// Command pause is the process of a pod's sandbox container.
//
// It exists only to hold the pod's namespaces open while the pod lives. As PID 1 of
// the pod's PID namespace (when the pod shares one) it must reap the orphans other
// containers leave behind, or they pile up as zombies. The runtime stops a sandbox
// with SIGTERM (or SIGINT from a terminal); pause then exits 0 at once, because it
// has nothing to save and a slow exit only delays the pod's teardown.
//
// Built with CGO_ENABLED=0 so that the image needs no libc: the binary is the image.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "unknown"

func main() {
	if len(os.Args) > 1 {
		if os.Args[1] == "-v" {
			fmt.Printf("pause version %s\n", version)
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "usage: %s [-v]\n", os.Args[0])
		os.Exit(2)
	}
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reapChildren()
			continue
		}
		os.Exit(0)
	}
}

// reapChildren collects every exited child without blocking: one SIGCHLD may stand
// for several exits, since pending signals of one kind are merged.
func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
