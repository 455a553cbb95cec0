//go:build tools

// Package tools pins the KServe API types (CRD generation) and controller manager (local cluster).
package tools

import (
	_ "github.com/kserve/kserve/cmd/manager"
	_ "github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	_ "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	_ "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
)
