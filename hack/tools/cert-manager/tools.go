//go:build tools

// Package tools pins cert-manager's API types (every package under pkg/apis), from which
// hack/test_charts_stack.py generates the CRDs of the cert-manager test chart with controller-gen.
package tools

import (
	_ "github.com/cert-manager/cert-manager/pkg/apis/acme/v1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/config/cainjector/v1alpha1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/config/controller/v1alpha1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/config/shared/v1alpha1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/config/webhook/v1alpha1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/experimental/v1alpha1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
)
