{{- if and .Values.metrics.serviceMonitor.enabled (ne .Values.metrics.serviceMonitor.kind "PodMonitor") }}
# Headless Service over the predictor pods, so the ServiceMonitor scrapes the runtime's own
# metrics port in both deployment modes (Knative's revision Services only expose queue-proxy).
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-metrics" (include "kserve-model.fullname" .) }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    app.kubernetes.io/component: metrics
spec:
  clusterIP: None
  selector:
    {{- include "kserve-model.predictorPodLabels" . | nindent 4 }}
  ports:
    - name: metrics
      port: {{ int .Values.metrics.port }}
      targetPort: {{ int .Values.metrics.port }}
      protocol: TCP
{{- end }}
