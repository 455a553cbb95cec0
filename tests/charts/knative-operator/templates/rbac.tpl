{{- /* Fixture RBAC: the operator manages Knative's components cluster-wide (Knative's chart grants far more). */ -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: knative-serving-operator
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
rules:
  - apiGroups: ["operator.knative.dev"]
    resources: ["knativeservings", "knativeservings/status", "knativeservings/finalizers"]
    verbs: ["get", "list", "watch", "update", "patch"]
  - apiGroups: [""]
    resources: ["configmaps", "services", "serviceaccounts", "secrets", "events"]
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: knative-serving-operator
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: knative-serving-operator
subjects:
  - kind: ServiceAccount
    name: knative-operator
    namespace: {{ .Release.Namespace }}
