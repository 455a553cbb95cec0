apiVersion: v1
kind: ServiceAccount
metadata:
  name: knative-operator
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: operator-webhook
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
    app.kubernetes.io/component: operator-webhook
