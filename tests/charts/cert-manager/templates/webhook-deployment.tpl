apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "webhook.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "cert-manager.labels" . | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list . "webhook") | nindent 4 }}
spec:
  replicas: {{ .Values.webhook.replicaCount }}
  selector:
    matchLabels:
      {{- include "cert-manager.selectorLabels" (list . "webhook") | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "cert-manager.selectorLabels" (list . "webhook") | nindent 8 }}
        llmops.kserve/test-fixture: "true"
    spec:
      serviceAccountName: {{ include "webhook.fullname" . }}
      {{- with .Values.global.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: cert-manager-webhook
          image: {{ include "cert-manager.image" (list .Values.webhook.image .Chart.AppVersion) | quote }}
          imagePullPolicy: {{ .Values.webhook.image.pullPolicy }}
          args:
            - --v=2
            - --secure-port=10250
            - --dynamic-serving-ca-secret-namespace=$(POD_NAMESPACE)
            - --dynamic-serving-ca-secret-name={{ include "webhook.fullname" . }}-ca
            - --dynamic-serving-dns-names={{ include "webhook.fullname" . }},{{ include "webhook.fullname" . }}.$(POD_NAMESPACE),{{ include "webhook.fullname" . }}.$(POD_NAMESPACE).svc
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - name: https
              containerPort: 10250
            - name: healthcheck
              containerPort: 6080
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "webhook.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "cert-manager.labels" . | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list . "webhook") | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "cert-manager.selectorLabels" (list . "webhook") | nindent 4 }}
  ports:
    - name: https
      port: 443
      targetPort: https
