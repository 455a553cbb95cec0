{{- if .Values.cainjector.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "cainjector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "cert-manager.labels" . | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list . "cainjector") | nindent 4 }}
spec:
  replicas: {{ .Values.cainjector.replicaCount }}
  selector:
    matchLabels:
      {{- include "cert-manager.selectorLabels" (list . "cainjector") | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "cert-manager.selectorLabels" (list . "cainjector") | nindent 8 }}
        llmops.kserve/test-fixture: "true"
    spec:
      serviceAccountName: {{ include "cainjector.fullname" . }}
      {{- with .Values.global.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: cert-manager-cainjector
          image: {{ include "cert-manager.image" (list .Values.cainjector.image .Chart.AppVersion) | quote }}
          imagePullPolicy: {{ .Values.cainjector.image.pullPolicy }}
          args:
            - --v=2
            - --leader-election-namespace=kube-system
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
{{- end }}
