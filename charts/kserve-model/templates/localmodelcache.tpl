{{- if .Values.localModelCache.enabled }}
{{- /* KServe's LocalModelCache (cluster-scoped): KServe's webhook matches its sourceModelUri against the
InferenceService's storageUri, which stays the source URI (the webhook swaps the download for the node-local PVC). */}}
apiVersion: serving.kserve.io/v1alpha1
kind: LocalModelCache
metadata:
  name: {{ include "kserve-model.localModelCacheName" . }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    app.kubernetes.io/component: local-model-cache
spec:
  sourceModelUri: {{ include "kserve-model.sourceUri" . | quote }}
  modelSize: {{ .Values.localModelCache.modelSize | quote }}
  nodeGroups:
    {{- toYaml .Values.localModelCache.nodeGroups | nindent 4 }}
  {{- with .Values.localModelCache.serviceAccountName }}
  serviceAccountName: {{ . }}
  {{- end }}
{{- end }}
