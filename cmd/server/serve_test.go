package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
)

// TestShutdownLetsRequestsInFlightFinish starts a request, shuts the server down while
// the request's body is still arriving, and checks that the request is still answered
// and that the server then stops.
func TestShutdownLetsRequestsInFlightFinish(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{})
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		body, _ := io.ReadAll(r.Body) // waits for the rest of the body
		fmt.Fprintf(w, "got %d bytes", len(body))
	})}
	shuttingDown := make(chan struct{})
	server.RegisterOnShutdown(func() { close(shuttingDown) })

	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(ctx, server, listener) }()

	conn, err := net.Dial("tcp", listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
	<-arrived
	stop() // SIGTERM
	<-shuttingDown
	fmt.Fprint(conn, "world")

	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight was cut: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != "got 10 bytes" {
		t.Fatalf("in-flight request answered %d %q", res.StatusCode, body)
	}
	conn.Close()
	if err := <-served; err != nil {
		t.Fatalf("serve returned %v, want a clean shutdown", err)
	}
	if _, err := net.Dial("tcp", listener.Addr().String()); err == nil {
		t.Fatal("the server still accepts connections after shutdown")
	}
}
