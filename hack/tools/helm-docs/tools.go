//go:build tools

// Package tools pins helm-docs, which generates the chart READMEs from the values comments (make lint checks them).
package tools

import (
	_ "github.com/norwoodj/helm-docs/cmd/helm-docs"
)
