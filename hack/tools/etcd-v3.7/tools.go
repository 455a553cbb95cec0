//go:build tools

// Package tools pins the etcd commands built by hack/bootstrap.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
