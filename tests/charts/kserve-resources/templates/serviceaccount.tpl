apiVersion: v1
kind: ServiceAccount
metadata:
  name: kserve-controller-manager
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
