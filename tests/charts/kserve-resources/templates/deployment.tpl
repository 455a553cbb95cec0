apiVersion: apps/v1
kind: Deployment
metadata:
  name: kserve-controller-manager
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
spec:
  replicas: 1
  selector:
    matchLabels:
      {{- include "kserve-resources.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "kserve-resources.selectorLabels" . | nindent 8 }}
      annotations:
        # Roll the controller when its configuration changes.
        checksum/config: {{ include (print $.Template.BasePath "/inferenceservice-config.tpl") . | sha256sum }}
    spec:
      serviceAccountName: kserve-controller-manager
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      {{- with .Values.kserve.controller.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.kserve.controller.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: kube-rbac-proxy
          image: {{ .Values.kserve.controller.rbacProxyImage | quote }}
          args:
            - --secure-listen-address=0.0.0.0:8443
            - --upstream=http://127.0.0.1:8080/
          ports:
            - containerPort: 8443
              name: https
              protocol: TCP
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
              cpu: 100m
              memory: 128Mi
        - name: manager
          image: {{ include "kserve-resources.image" (list . .Values.kserve.controller) | quote }}
          imagePullPolicy: {{ .Values.kserve.controller.imagePullPolicy }}
          command: ["/manager"]
          args:
            - --metrics-addr=127.0.0.1:8080
            - --leader-elect
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: SECRET_NAME
              value: kserve-webhook-server-cert
          ports:
            - containerPort: 9443
              name: webhook-server
              protocol: TCP
          readinessProbe:
            httpGet:
              path: /readyz
              port: 8081
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          resources:
            {{- toYaml .Values.kserve.controller.resources | nindent 12 }}
          volumeMounts:
            - name: cert
              mountPath: /tmp/k8s-webhook-server/serving-certs
              readOnly: true
      volumes:
        - name: cert
          secret:
            secretName: kserve-webhook-server-cert
            defaultMode: 420
