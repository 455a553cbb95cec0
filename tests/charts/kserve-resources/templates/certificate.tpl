{{- if include "kserve-resources.certManagerEnabled" . }}
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: selfsigned-issuer
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: serving-cert
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
spec:
  commonName: kserve-webhook-server-service.{{ .Release.Namespace }}.svc
  dnsNames:
    - kserve-webhook-server-service.{{ .Release.Namespace }}.svc
  issuerRef:
    kind: Issuer
    name: selfsigned-issuer
  secretName: kserve-webhook-server-cert
{{- end }}
