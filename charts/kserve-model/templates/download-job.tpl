{{- if and .Values.modelCache.enabled .Values.modelCache.download.enabled }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $src := include "kserve-model.sourceUri" . -}}
{{- $claim := include "kserve-model.cacheClaim" . -}}
{{- $path := include "kserve-model.cachePath" . -}}
{{- $dl := .Values.modelCache.download -}}
{{- /* The name changes with what is downloaded: a Job's pod template is immutable. */ -}}
{{- $hash := printf "%s|%s|%s" $src $claim $path | sha256sum | trunc 8 }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-download-%s" $full $hash }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    app.kubernetes.io/component: model-download
spec:
  backoffLimit: {{ int $dl.backoffLimit }}
  activeDeadlineSeconds: {{ int $dl.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "kserve-model.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/component: model-download
    spec:
      restartPolicy: Never
      {{- with .Values.predictor.serviceAccountName }}
      serviceAccountName: {{ . }}
      {{- end }}
      {{- with .Values.predictor.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        seccompProfile:
          type: RuntimeDefault
      initContainers:
        - name: download
          image: "{{ $dl.image.repository }}:{{ $dl.image.tag }}"
          imagePullPolicy: {{ $dl.image.pullPolicy }}
          args:
            - {{ $src | quote }}
            - {{ printf "/mnt/model-cache/%s" $path | quote }}
          {{- if .Values.hfToken.enabled }}
          env:
            - name: HF_TOKEN
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.hfToken.secretName | quote }}
                  key: {{ .Values.hfToken.secretKey | quote }}
          {{- end }}
          securityContext:
            allowPrivilegeEscalation: false
          {{- with $dl.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            - name: model-cache
              mountPath: /mnt/model-cache
      containers:
        - name: mark-complete
          image: "{{ $dl.image.repository }}:{{ $dl.image.tag }}"
          imagePullPolicy: {{ $dl.image.pullPolicy }}
          command:
            - touch
            - {{ include "kserve-model.cacheMarker" . | quote }}
          securityContext:
            allowPrivilegeEscalation: false
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
            limits:
              memory: 64Mi
          volumeMounts:
            - name: model-cache
              mountPath: /mnt/model-cache
      volumes:
        - name: model-cache
          persistentVolumeClaim:
            claimName: {{ $claim }}
{{- end }}
