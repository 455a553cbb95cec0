{{- $operator := .Values.knative_operator.knative_operator }}
{{- $webhook := .Values.knative_operator.operator_webhook }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: knative-operator
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
  {{- with $operator.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  replicas: 1
  selector:
    matchLabels:
      name: knative-operator
  template:
    metadata:
      labels:
        name: knative-operator
        app.kubernetes.io/name: knative-operator
        llmops.kserve/test-fixture: "true"
      annotations:
        sidecar.istio.io/inject: "false"
        {{- with $operator.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: knative-operator
      containers:
        - name: knative-operator
          image: {{ include "knative-operator.image" (list . $operator) | quote }}
          imagePullPolicy: IfNotPresent
          env:
            - name: SYSTEM_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: KUBERNETES_MIN_VERSION
              value: {{ .Values.knative_operator.kubernetes_min_version | quote }}
          ports:
            - name: metrics
              containerPort: 9090
          {{- with $operator.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities:
              drop: ["ALL"]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: operator-webhook
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
    app.kubernetes.io/component: operator-webhook
  {{- with $webhook.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: operator-webhook
      role: operator-webhook
  template:
    metadata:
      labels:
        app: operator-webhook
        role: operator-webhook
        app.kubernetes.io/name: knative-operator
        llmops.kserve/test-fixture: "true"
      annotations:
        sidecar.istio.io/inject: "false"
        {{- with $webhook.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: operator-webhook
      containers:
        - name: operator-webhook
          image: {{ include "knative-operator.image" (list . $webhook) | quote }}
          imagePullPolicy: IfNotPresent
          env:
            - name: SYSTEM_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: WEBHOOK_NAME
              value: operator-webhook
            - name: WEBHOOK_PORT
              value: "8443"
          ports:
            - name: https-webhook
              containerPort: 8443
          {{- with $webhook.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities:
              drop: ["ALL"]
