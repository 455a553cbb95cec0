{{- if .Values.test.enabled }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $retry := int .Values.test.retrySeconds }}
# helm test <release>: lists the served models through the predictor and checks that this one is there.
apiVersion: v1
kind: Pod
metadata:
  name: {{ printf "%s-test-models" $full }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    app.kubernetes.io/component: test
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  securityContext:
    runAsNonRoot: true
    runAsUser: 100
    runAsGroup: 101
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: list-models
      image: "{{ .Values.test.image.repository }}:{{ .Values.test.image.tag }}"
      imagePullPolicy: {{ .Values.test.image.pullPolicy }}
      env:
        - name: URL
          value: {{ printf "http://%s%s" (include "kserve-model.predictorHost" .) (include "kserve-model.testPath" .) | quote }}
        - name: MODEL
          value: {{ include "kserve-model.servedName" . | quote }}
        - name: RETRY_SECONDS
          value: {{ $retry | quote }}
      command:
        - sh
        - -c
        - |
          set -eu
          echo "GET $URL (retrying for up to ${RETRY_SECONDS}s while the model loads)"
          body=$(curl -fsS --retry 1000 --retry-delay 5 --retry-all-errors --retry-max-time "$RETRY_SECONDS" --max-time 30 "$URL")
          echo "$body"
          case "$body" in
            *"\"$MODEL\""*) echo "OK: model $MODEL is served" ;;
            *) echo "FAIL: model $MODEL is not in the answer of $URL" >&2; exit 1 ;;
          esac
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop:
            - ALL
      resources:
        requests:
          cpu: 10m
          memory: 16Mi
        limits:
          memory: 64Mi
{{- end }}
