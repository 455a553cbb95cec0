//go:build tools

// Package tools pins KEDA's API types: hack/gen_crds.py generates the KEDA CRDs (ScaledObject, ScaledJob,
// TriggerAuthentication, ClusterTriggerAuthentication) from them with controller-gen, for the version
// roles/kserve installs (kserve_keda_chart_version).
package tools

import (
	_ "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
)
