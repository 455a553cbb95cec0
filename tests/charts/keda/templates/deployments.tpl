{{- range $component := list (dict "name" .Values.operator.name "image" .Values.image.keda) (dict "name" "keda-operator-metrics-apiserver" "image" .Values.image.metricsApiServer) (dict "name" "keda-admission-webhooks" "image" .Values.image.webhooks) }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $component.name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "keda.labels" $ | nindent 4 }}
    app.kubernetes.io/name: {{ $component.name }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $component.name }}
      app.kubernetes.io/instance: {{ $.Release.Name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ $component.name }}
        app.kubernetes.io/instance: {{ $.Release.Name }}
        llmops.kserve/test-fixture: "true"
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ $component.name }}
          image: {{ include "keda.image" (list $component.image $.Chart.AppVersion) | quote }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
            limits:
              memory: 128Mi
{{- end }}
