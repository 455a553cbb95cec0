//go:build tools

// Package tools pins the helm commands built by hack/bootstrap.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
