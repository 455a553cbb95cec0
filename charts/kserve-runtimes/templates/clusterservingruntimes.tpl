{{- /*
One ClusterServingRuntime per selected catalog entry.
No serving.kserve.io/server-type annotation on purpose: with it, KServe rewrites the image tag of known server
types (appends "-gpu", or "-cpu" to the vLLM repository), which would defeat the pinned images below.
*/ -}}
{{- $selected := include "kserve-runtimes.selected" . | fromJsonArray -}}
{{- range $name := $selected }}
{{- $entry := index $.Values.catalog $name }}
{{- $port := int (default 8080 $entry.port) }}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: {{ $name }}
  labels:
    {{- include "kserve-runtimes.labels" $ | nindent 4 }}
    llmops.kserve/platform: {{ $entry.platform | quote }}
    llmops.kserve/server: {{ default "custom" $entry.server | quote }}
  {{- $annotations := deepCopy (default (dict) $.Values.commonAnnotations) }}
  {{- with $entry.description }}
  {{- $_ := set $annotations "llmops.kserve/description" . }}
  {{- end }}
  {{- with $entry.openAIBasePath }}
  {{- $_ := set $annotations "llmops.kserve/openai-base-path" . }}
  {{- end }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  disabled: false
  multiModel: false
  supportedModelFormats:
    {{- toYaml $entry.supportedModelFormats | nindent 4 }}
  {{- with $entry.protocolVersions }}
  protocolVersions:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $entry.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  labels:
    llmops.kserve/platform: {{ $entry.platform | quote }}
    {{- with $entry.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  hostIPC: {{ default false $entry.hostIPC }}
  {{- with $entry.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $entry.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $entry.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $.Values.global.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . | quote }}
    {{- end }}
  {{- end }}
  {{- with $entry.volumes }}
  volumes:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: kserve-container
      image: {{ include "kserve-runtimes.image" (dict "image" $entry.image "registry" $.Values.global.imageRegistry) | quote }}
      imagePullPolicy: {{ default "IfNotPresent" $entry.imagePullPolicy }}
      {{- with $entry.command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $entry.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $env := default (dict) $entry.env }}
      {{- if $env }}
      env:
        {{- range $key := keys $env | sortAlpha }}
        {{- $value := index $env $key }}
        - name: {{ $key }}
          {{- if kindIs "map" $value }}
          valueFrom:
            {{- toYaml $value.valueFrom | nindent 12 }}
          {{- else }}
          value: {{ $value | toString | quote }}
          {{- end }}
        {{- end }}
      {{- end }}
      ports:
        - name: {{ default "http1" $entry.portName }}
          containerPort: {{ $port }}
          protocol: TCP
      {{- with $entry.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $entry.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $entry.probes }}
      {{- with .startup }}
      startupProbe:
        {{- include "kserve-runtimes.probe" (dict "probe" . "port" $port) | nindent 8 }}
      {{- end }}
      {{- with .readiness }}
      readinessProbe:
        {{- include "kserve-runtimes.probe" (dict "probe" . "port" $port) | nindent 8 }}
      {{- end }}
      {{- with .liveness }}
      livenessProbe:
        {{- include "kserve-runtimes.probe" (dict "probe" . "port" $port) | nindent 8 }}
      {{- end }}
      {{- end }}
      {{- with $entry.volumeMounts }}
      volumeMounts:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
