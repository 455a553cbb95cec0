{{- if .Values.networkPolicy.enabled }}
{{- $np := .Values.networkPolicy -}}
{{- $namespaces := list -}}
{{- range $np.allowedNamespaces }}{{ $namespaces = append $namespaces . }}{{ end -}}
{{- if and .Values.ingress.enabled .Values.ingress.controllerNamespace }}{{ $namespaces = append $namespaces .Values.ingress.controllerNamespace }}{{ end -}}
{{- if and .Values.httpRoute.enabled .Values.httpRoute.controllerNamespace }}{{ $namespaces = append $namespaces .Values.httpRoute.controllerNamespace }}{{ end -}}
{{- if and .Values.apisixRoute.enabled .Values.apisixRoute.controllerNamespace }}{{ $namespaces = append $namespaces .Values.apisixRoute.controllerNamespace }}{{ end -}}
{{- if and .Values.metrics.serviceMonitor.enabled .Values.metrics.serviceMonitor.prometheusNamespace }}{{ $namespaces = append $namespaces .Values.metrics.serviceMonitor.prometheusNamespace }}{{ end -}}
{{- $namespaces = $namespaces | uniq | sortAlpha }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "kserve-model.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "kserve-model.predictorPodLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
  {{- if or $np.allowSameNamespace $namespaces }}
  ingress:
    - from:
        {{- if $np.allowSameNamespace }}
        - podSelector: {}
        {{- end }}
        {{- range $namespaces }}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ . }}
        {{- end }}
  {{- else }}
  # Nothing is allowed: every ingress to the predictor pods is denied.
  ingress: []
  {{- end }}
{{- end }}
