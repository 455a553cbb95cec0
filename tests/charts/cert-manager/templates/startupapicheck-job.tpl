{{- if .Values.startupapicheck.enabled }}
{{- /* Post-install/upgrade hook, as in the real chart; on the kwok cluster its pod completes at once. */}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "startupapicheck.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "cert-manager.labels" . | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list . "startupapicheck") | nindent 4 }}
  annotations:
    helm.sh/hook: post-install,post-upgrade
    helm.sh/hook-weight: "1"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .Values.startupapicheck.backoffLimit }}
  template:
    metadata:
      labels:
        {{- include "cert-manager.selectorLabels" (list . "startupapicheck") | nindent 8 }}
        llmops.kserve/test-fixture: "true"
    spec:
      restartPolicy: OnFailure
      {{- with .Values.global.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: cert-manager-startupapicheck
          image: {{ include "cert-manager.image" (list .Values.startupapicheck.image .Chart.AppVersion) | quote }}
          imagePullPolicy: {{ .Values.startupapicheck.image.pullPolicy }}
          args:
            - check
            - api
            - --wait=1m
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
{{- end }}
