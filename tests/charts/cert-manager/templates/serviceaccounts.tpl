{{- range $component := list "controller" "webhook" "cainjector" }}
{{- if or (ne $component "cainjector") $.Values.cainjector.enabled }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ ternary (include "cert-manager.fullname" $) (printf "%s-%s" (include "cert-manager.fullname" $) $component) (eq $component "controller") }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "cert-manager.labels" $ | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list $ $component) | nindent 4 }}
{{- end }}
{{- end }}
