apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "cert-manager.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "cert-manager.labels" . | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list . "controller") | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "cert-manager.selectorLabels" (list . "controller") | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "cert-manager.selectorLabels" (list . "controller") | nindent 8 }}
        llmops.kserve/test-fixture: "true"
    spec:
      serviceAccountName: {{ include "cert-manager.fullname" . }}
      {{- with .Values.global.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: cert-manager-controller
          image: {{ include "cert-manager.image" (list .Values.image .Chart.AppVersion) | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          args:
            - --v=2
            - --cluster-resource-namespace=$(POD_NAMESPACE)
            - --leader-election-namespace=kube-system
            - --acme-http01-solver-image={{ include "cert-manager.image" (list .Values.acmesolver.image .Chart.AppVersion) }}
            - --max-concurrent-challenges=60
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - name: http-metrics
              containerPort: 9402
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
