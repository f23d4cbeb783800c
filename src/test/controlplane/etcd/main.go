// Command etcd runs a single-member etcd for the end-to-end control plane. It embeds the etcd
// server that k8s.io/kubernetes itself depends on, so its version always matches what the
// chosen kube-apiserver was released and tested against, and no Debian etcd (3.4, too old
// for current kube-apiserver) or container image is needed.
package main

import (
	"flag"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for etcd's data (required)")
	clientURL := flag.String("listen-client-url", "http://127.0.0.1:2379", "client URL to listen on")
	peerURL := flag.String("listen-peer-url", "http://127.0.0.1:2380", "peer URL to listen on")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("--data-dir is required")
	}

	cfg := embed.NewConfig()
	cfg.Name = "meshwarden-e2e"
	cfg.Dir = *dataDir
	cfg.LogLevel = "warn"
	// Test data is disposable: skipping fsync keeps etcd from dominating start and write latency.
	cfg.UnsafeNoFsync = true
	client := mustURL(*clientURL)
	peer := mustURL(*peerURL)
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()

	server, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("etcd did not start: %v", err)
	}
	defer server.Close()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-server.Server.ReadyNotify():
		log.Printf("etcd ready, serving clients on %s", client.String())
	case err := <-server.Err():
		log.Fatalf("etcd failed before becoming ready: %v", err)
	case <-signals:
		return
	}
	select {
	case err := <-server.Err():
		log.Fatalf("etcd stopped: %v", err)
	case <-signals:
	}
}

func mustURL(raw string) url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		log.Fatalf("bad URL %q: %v", raw, err)
	}
	return *u
}
