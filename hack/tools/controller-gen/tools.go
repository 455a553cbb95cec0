//go:build tools

// Package tools pins controller-gen, used to generate the KServe CRDs of the test charts.
package tools

import (
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
