//go:build tools

// Package tools pins prometheus-operator's API types (CRD generation with controller-gen, hack/gen_crds.py).
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)
