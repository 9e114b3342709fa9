package main

// The module relay: builders have no network, only loopback. When the sandbox mounts the
// module proxy's unix socket (GOPLAY_MODULE_SOCKET), the agent serves GOPROXY on
// 127.0.0.1:8642 by handing each request to that socket, so the go command can fetch
// modules and nothing else is reachable.

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"time"
)

const relayAddress = "127.0.0.1:8642"

func startModuleRelay() {
	socket := os.Getenv("GOPLAY_MODULE_SOCKET")
	if socket == "" {
		return
	}
	listener, err := net.Listen("tcp", relayAddress)
	if err != nil {
		// The build then fails with the go command's own connection error.
		return
	}
	proxy := &httputil.ReverseProxy{
		Director: func(r *http.Request) {
			r.URL.Scheme = "http"
			r.URL.Host = "modules"
			r.Host = "modules"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", socket)
			},
			MaxIdleConns:    8,
			IdleConnTimeout: 30 * time.Second,
		},
	}
	go http.Serve(listener, proxy)
}
