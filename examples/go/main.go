// A net/http server protected in process by authgate: the demo's
// configuration (examples/demo/authgate.yaml as JSON) without the sidecar.
// Every request is decided by the same engine the sidecar runs; allowed ones
// reach the handler, which answers with who asked and what it received.
//
//	AUTHGATE_SESSION_SECRET=... AUTHGATE_CLIENT_SECRET=... go run . -config authgate.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"authgate"
)

// page is the handler's answer.
type page struct {
	Subject string            `json:"subject"`
	Claims  map[string]any    `json:"claims"`
	Headers map[string]string `json:"headers"`
	Path    string            `json:"path"`
}

func hello(w http.ResponseWriter, r *http.Request) {
	answer := page{Headers: map[string]string{}, Path: r.URL.Path}
	// Public routes have no identity; every other route does.
	if identity, ok := authgate.IdentityFrom(r.Context()); ok {
		answer.Subject, answer.Claims = identity.Subject, identity.Claims
	}
	for name, values := range r.Header {
		answer.Headers[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

func main() {
	configPath := flag.String("config", "authgate.json", "the engine's configuration (JSON); its `listen` is where to serve")
	flag.Parse()
	document, err := os.ReadFile(*configPath)
	if err != nil {
		log.Fatal(err)
	}
	// The sidecar's document can be used as it is: the engine ignores its
	// server keys (with a warning), and this server reads `listen` from it.
	var server struct {
		Listen string `json:"listen"`
	}
	if err := json.Unmarshal(document, &server); err != nil || server.Listen == "" {
		log.Fatalf("%s: a `listen` address is needed (%v)", *configPath, err)
	}
	engine, err := authgate.NewEngine(document)
	if err != nil {
		log.Fatalf("%s: %v", *configPath, err)
	}
	defer engine.Close()
	for _, warning := range engine.Warnings() {
		log.Printf("warning: %s", warning)
	}
	// Ready means the provider's metadata and keys are loaded: before
	// that, login routes answer 503.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = engine.WaitReady(ctx)
	cancel()
	if err != nil {
		log.Fatalf("the identity provider: %v", err)
	}

	listener, err := net.Listen("tcp", server.Listen)
	if err != nil {
		log.Fatal(err)
	}
	httpServer := &http.Server{
		Handler:           authgate.Middleware(engine)(http.HandlerFunc(hello)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	// One line on stdout when serving, for scripts that wait for it.
	fmt.Printf("{\"msg\":\"listening\",\"address\":%q}\n", listener.Addr().String())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = httpServer.Shutdown(ctx)
	}()
	if err := httpServer.Serve(listener); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
