//go:build tools

// Package tools pins the API types of KServe v0.19 (the previous minor), from which hack/gen_crds.py generates
// the CRDs of the upgrade test's "before" chart.
package tools

import (
	_ "github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	_ "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	_ "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
)
