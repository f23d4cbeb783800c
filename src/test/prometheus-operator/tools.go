//go:build tools

// Package tools pins what crds.sh builds and reads; it is never compiled into anything.
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
