{{- include "kserve-model.validate" . -}}
{{- $full := include "kserve-model.fullname" . -}}
{{- $mode := include "kserve-model.deploymentMode" . -}}
{{- $served := include "kserve-model.servedName" . -}}
{{- $p := .Values.predictor -}}
{{- $m := .Values.model -}}
{{- /* Checksum of the values that shape the predictor Pods (replica counts and scaling excluded): KServe copies
the InferenceService's annotations into the pod template, so the deploy role can tell a finished rollout of this
release revision from the Pods of the previous one (roles/model_deploy/tasks/wait.yml). */ -}}
{{- $podValues := dict "platform" .Values.platform "deploymentMode" .Values.deploymentMode "runtime" .Values.runtime "model" $m "accelerator" .Values.accelerator "resources" .Values.resources "hfToken" .Values.hfToken "modelCache" .Values.modelCache "commonLabels" .Values.commonLabels "annotations" .Values.annotations "predictor" (omit $p "minReplicas" "maxReplicas" "scaleToZero" "scaleMetric" "scaleTarget" "autoscalerClass" "canaryTrafficPercent" "containerConcurrency" "timeoutSeconds") -}}
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
    llmops.kserve/model-id: {{ $m.id | quote }}
    llmops.kserve/served-model-name: {{ $served | quote }}
    llmops.kserve/pod-checksum: {{ $podValues | toJson | sha256sum | trunc 16 | quote }}
    {{- with include "kserve-model.storageSecretAnnotations" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with .Values.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  predictor:
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
    {{- if not (kindIs "invalid" $p.containerConcurrency) }}
    containerConcurrency: {{ int $p.containerConcurrency }}
    {{- end }}
    {{- if not (kindIs "invalid" $p.timeoutSeconds) }}
    timeout: {{ int $p.timeoutSeconds }}
    {{- end }}
    labels:
      {{- include "kserve-model.selectorLabels" . | nindent 6 }}
      llmops.kserve/model: {{ include "kserve-model.modelLabel" . | quote }}
      llmops.kserve/platform: {{ .Values.platform | quote }}
      {{- with $p.podLabels }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- if or $p.podAnnotations (and (eq $mode "Knative") $p.progressDeadline) }}
    annotations:
      {{- if and (eq $mode "Knative") $p.progressDeadline }}
      serving.knative.dev/progress-deadline: {{ $p.progressDeadline | quote }}
      {{- end }}
      {{- with $p.podAnnotations }}
      {{- toYaml . | nindent 6 }}
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
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- if $p.hostIPC }}
    hostIPC: true
    {{- end }}
    {{- with $p.nodeSelector }}
    nodeSelector:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $p.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $p.affinity }}
    affinity:
      {{- toYaml . | nindent 6 }}
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
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $p.shmSize }}
      volumeMounts:
        - name: devshm
          mountPath: /dev/shm
      {{- end }}
