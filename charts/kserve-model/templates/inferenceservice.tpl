{{- /*
The predictor spec, for the main predictor and for each canary (spec.canary[].predictor). Called with a
context dict: Values (the main values, or a canary's values: the main ones with its overrides), Release, Chart,
and canary (the canary entry, or nothing for the main predictor).
*/ -}}
{{- define "kserve-model.predictorSpec" -}}
{{- $full := include "kserve-model.fullname" . -}}
{{- $mode := include "kserve-model.deploymentMode" . -}}
{{- $served := include "kserve-model.servedName" . -}}
{{- $canary := .canary -}}
{{- $p := .Values.predictor -}}
{{- $m := .Values.model -}}
{{- $minReplicas := ternary 0 (int $p.minReplicas) $p.scaleToZero -}}
{{- $devices := include "kserve-model.deviceCount" . -}}
{{- $requests := deepCopy (default (dict) .Values.resources.requests) -}}
{{- $limits := deepCopy (default (dict) .Values.resources.limits) -}}
{{- if .Values.accelerator.resourceName -}}
{{- $_ := set $requests .Values.accelerator.resourceName $devices -}}
{{- $_ := set $limits .Values.accelerator.resourceName $devices -}}
{{- end -}}
{{- $waitForCache := and .Values.modelCache.enabled .Values.modelCache.download.enabled .Values.modelCache.download.waitInPredictor -}}
{{- $autoscalerClass := $p.autoscalerClass -}}
{{- if and (eq $mode "Standard") (not $autoscalerClass) (eq $minReplicas (int $p.maxReplicas)) -}}
{{- $autoscalerClass = "none" -}}
{{- end -}}
{{- with $p.name }}
name: {{ . }}
{{- end }}
{{- if not $canary }}
minReplicas: {{ $minReplicas }}
maxReplicas: {{ int $p.maxReplicas }}
{{- with $p.scaleMetric }}
scaleMetric: {{ . }}
{{- end }}
{{- if not (kindIs "invalid" $p.scaleTarget) }}
scaleTarget: {{ int $p.scaleTarget }}
{{- end }}
{{- if not (kindIs "invalid" $p.canaryTrafficPercent) }}
canaryTrafficPercent: {{ int $p.canaryTrafficPercent }}
{{- end }}
{{- with include "kserve-model.autoScaling" . | trim }}
autoScaling:
  {{- . | nindent 2 }}
{{- end }}
{{- else if not (kindIs "invalid" $canary.replicas) }}
{{- /* KServe v0.20 gives a canary fixed replicas and rejects maxReplicas and scaling fields on it. */}}
minReplicas: {{ int $canary.replicas }}
{{- end }}
{{- if not (kindIs "invalid" $p.containerConcurrency) }}
containerConcurrency: {{ int $p.containerConcurrency }}
{{- end }}
{{- if not (kindIs "invalid" $p.timeoutSeconds) }}
timeout: {{ int $p.timeoutSeconds }}
{{- end }}
labels:
  {{- include "kserve-model.selectorLabels" . | nindent 2 }}
  llmops.kserve/model: {{ include "kserve-model.modelLabel" . | quote }}
  llmops.kserve/platform: {{ .Values.platform | quote }}
  {{- with $p.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $kpa := ternary (include "kserve-model.kpaAnnotations" . | trim) "" (and (eq $mode "Knative") (not $canary)) }}
{{- if or $p.podAnnotations (and (eq $mode "Knative") $p.progressDeadline) $canary $kpa }}
annotations:
  {{- if and (eq $mode "Knative") $p.progressDeadline }}
  serving.knative.dev/progress-deadline: {{ $p.progressDeadline | quote }}
  {{- end }}
  {{- with $kpa }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- if $canary }}
  {{- /* A canary's Pods carry its own checksum and model id (predictor annotations win over the
         InferenceService's in KServe's merge): promoting it renders these same values as the main
         predictor's, so its pod template stays as it is and no Pod restarts. */}}
  llmops.kserve/pod-checksum: {{ include "kserve-model.podChecksum" . | quote }}
  llmops.kserve/model-id: {{ $m.id | quote }}
  {{- end }}
  {{- with $p.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- with $p.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with $p.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $p.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $p.hostIPC }}
hostIPC: true
{{- end }}
{{- with $p.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $p.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $p.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $waitForCache }}
initContainers:
  - name: wait-for-model-cache
    image: "{{ .Values.modelCache.download.image.repository }}:{{ .Values.modelCache.download.image.tag }}"
    imagePullPolicy: {{ .Values.modelCache.download.image.pullPolicy }}
    command:
      - sh
      - -c
      - 'until [ -f "$MARKER" ]; do echo "waiting for the model download ($MARKER)"; sleep 10; done'
    env:
      - name: MARKER
        value: {{ include "kserve-model.cacheMarker" . | quote }}
    resources:
      requests:
        cpu: 10m
        memory: 16Mi
      limits:
        memory: 64Mi
    volumeMounts:
      - name: model-cache-marker
        mountPath: /mnt/model-cache
        readOnly: true
{{- end }}
{{- if or $p.shmSize $waitForCache }}
volumes:
  {{- if $p.shmSize }}
  - name: devshm
    emptyDir:
      medium: Memory
      sizeLimit: {{ $p.shmSize }}
  {{- end }}
  {{- if $waitForCache }}
  - name: model-cache-marker
    persistentVolumeClaim:
      claimName: {{ include "kserve-model.cacheClaim" . }}
      readOnly: true
  {{- end }}
{{- end }}
model:
  modelFormat:
    name: huggingface
  runtime: {{ include "kserve-model.runtimeName" . }}
  {{- with .Values.runtime.image }}
  image: {{ . | quote }}
  {{- end }}
  storageUri: {{ include "kserve-model.storageUri" . | quote }}
  args:
    {{- if eq .Values.runtime.flavour "hf" }}
    - {{ printf "--model_name=%s" $served | quote }}
    {{- else }}
    - {{ printf "--served-model-name=%s" $served | quote }}
    {{- end }}
    - {{ printf "--tensor-parallel-size=%d" (int $m.tensorParallelSize) | quote }}
    - {{ printf "--dtype=%s" $m.dtype | quote }}
    {{- if not (kindIs "invalid" $m.maxModelLen) }}
    - {{ printf "--max-model-len=%d" (int $m.maxModelLen) | quote }}
    {{- end }}
    {{- if and (ne .Values.runtime.flavour "hf") (not (kindIs "invalid" $m.maxNumBatchedTokens)) }}
    - {{ printf "--max-num-batched-tokens=%d" (int $m.maxNumBatchedTokens) | quote }}
    {{- end }}
    {{- if not (kindIs "invalid" $m.gpuMemoryUtilization) }}
    - {{ printf "--gpu-memory-utilization=%v" $m.gpuMemoryUtilization | quote }}
    {{- end }}
    {{- range $m.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  {{- /* With the model cache the predictor reads a PVC and needs no token. */}}
  {{- $token := and .Values.hfToken.enabled (not .Values.modelCache.enabled) }}
  {{- if or $m.env $token }}
  env:
    {{- if $token }}
    - name: HF_TOKEN
      valueFrom:
        secretKeyRef:
          name: {{ .Values.hfToken.secretName | quote }}
          key: {{ .Values.hfToken.secretKey | quote }}
    {{- end }}
    {{- range $name, $value := $m.env }}
    - name: {{ $name }}
      value: {{ $value | quote }}
    {{- end }}
  {{- end }}
  resources:
    {{- with $requests }}
    requests:
      {{- range $k, $v := . }}
      {{ $k }}: {{ $v | quote }}
      {{- end }}
    {{- end }}
    {{- with $limits }}
    limits:
      {{- range $k, $v := . }}
      {{ $k }}: {{ $v | quote }}
      {{- end }}
    {{- end }}
  {{- with $m.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if $p.shmSize }}
  volumeMounts:
    - name: devshm
      mountPath: /dev/shm
  {{- end }}
{{- end -}}
{{- include "kserve-model.validate" . -}}
{{- $full := include "kserve-model.fullname" . -}}
{{- $mode := include "kserve-model.deploymentMode" . -}}
{{- $p := .Values.predictor -}}
{{- $minReplicas := ternary 0 (int $p.minReplicas) $p.scaleToZero -}}
{{- $autoscalerClass := $p.autoscalerClass -}}
{{- if and (eq $mode "Standard") (not $autoscalerClass) (eq $minReplicas (int $p.maxReplicas)) -}}
{{- $autoscalerClass = "none" -}}
{{- end -}}
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {{ $full }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
  annotations:
    serving.kserve.io/deploymentMode: {{ $mode }}
    {{- if and (eq $mode "Standard") $autoscalerClass }}
    serving.kserve.io/autoscalerClass: {{ $autoscalerClass }}
    {{- end }}
    llmops.kserve/model-id: {{ .Values.model.id | quote }}
    llmops.kserve/served-model-name: {{ include "kserve-model.servedName" . | quote }}
    llmops.kserve/pod-checksum: {{ include "kserve-model.podChecksum" . | quote }}
    {{- with include "kserve-model.storageSecretAnnotations" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with .Values.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  predictor:
    {{- include "kserve-model.predictorSpec" (dict "Values" .Values "Release" .Release "Chart" .Chart "canary" nil) | trim | nindent 4 }}
  {{- with .Values.canaries }}
  canary:
    {{- range . }}
    - trafficPercent: {{ int .trafficPercent }}
      predictor:
        {{- include "kserve-model.predictorSpec" (dict "Values" (include "kserve-model.canaryValues" (dict "Values" $.Values "canary" .) | fromYaml) "Release" $.Release "Chart" $.Chart "canary" .) | trim | nindent 8 }}
    {{- end }}
  {{- end }}
