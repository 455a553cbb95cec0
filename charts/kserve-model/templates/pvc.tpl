{{- if and .Values.modelCache.enabled (not .Values.modelCache.existingClaim) }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "kserve-model.cacheClaim" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    app.kubernetes.io/component: model-cache
  {{- if .Values.modelCache.keepOnUninstall }}
  annotations:
    helm.sh/resource-policy: keep
  {{- end }}
spec:
  accessModes:
    {{- toYaml .Values.modelCache.accessModes | nindent 4 }}
  {{- with .Values.modelCache.storageClassName }}
  storageClassName: {{ . }}
  {{- end }}
  resources:
    requests:
      storage: {{ .Values.modelCache.size }}
{{- end }}
