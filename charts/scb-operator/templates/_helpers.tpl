{{/* Names are cut at 63 characters: Kubernetes label values and DNS labels allow no more. */}}
{{- define "scb-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "scb-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "scb-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scb-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "scb-operator.labels" -}}
{{ include "scb-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: scb-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "scb-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "scb-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The namespace a namespace-scoped install watches; empty for a cluster-wide install. */}}
{{- define "scb-operator.watchNamespace" -}}
{{- if eq .Values.rbac.scope "namespace" }}
{{- default .Release.Namespace .Values.rbac.watchNamespace }}
{{- end }}
{{- end }}

{{- define "scb-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The gateway's pods carry their own name, so no operator selector (Deployment, Service, PDB) matches them. */}}
{{- define "scb-operator.gatewaySelectorLabels" -}}
app.kubernetes.io/name: {{ include "scb-operator.name" . | trunc 55 | trimSuffix "-" }}-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "scb-operator.gatewayLabels" -}}
{{ include "scb-operator.gatewaySelectorLabels" . }}
app.kubernetes.io/component: gateway
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: scb-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}
