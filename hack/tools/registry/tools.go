//go:build tools

// Package tools pins the registry commands built by hack/bootstrap.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
