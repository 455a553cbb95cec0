{{- if .Values.metrics.serviceMonitor.enabled }}
{{- $sm := .Values.metrics.serviceMonitor }}
{{- if eq $sm.kind "PodMonitor" }}
# PodMonitor: scrapes the runtime's metrics port on the predictor pods directly (no Service).
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: {{ include "kserve-model.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "kserve-model.predictorPodLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  podMetricsEndpoints:
    - portNumber: {{ int .Values.metrics.port }}
      path: {{ .Values.metrics.path }}
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
      {{- include "kserve-model.monitorRelabelings" . | nindent 6 }}
{{- else }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "kserve-model.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "kserve-model.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: metrics
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  endpoints:
    - port: metrics
      path: {{ .Values.metrics.path }}
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
      {{- include "kserve-model.monitorRelabelings" . | nindent 6 }}
{{- end }}
{{- end }}
