{{/* The CRD templates are added by hack/test_charts.py; this file keeps the chart layout valid. */}}
{{- define "kserve-crd.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
