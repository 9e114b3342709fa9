{{/*
The chart name, overridable; Kubernetes names are at most 63 characters.
*/}}
{{- define "goplay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
"<release>-<chart>" (or just the release when it already contains the chart name), at most
63 characters.
*/}}
{{- define "goplay.fullname" -}}
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

{{/*
Component names: the prefix is shortened before the suffix is added, so a long release name
cannot cut the suffix off and give web and proxy the same name.
*/}}
{{- define "goplay.web.fullname" -}}
{{- printf "%s-web" (include "goplay.fullname" . | trunc 59 | trimSuffix "-") }}
{{- end }}

{{- define "goplay.proxy.fullname" -}}
{{- printf "%s-proxy" (include "goplay.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "goplay.dashboard.name" -}}
{{- printf "%s-dashboard" (include "goplay.fullname" . | trunc 53 | trimSuffix "-") }}
{{- end }}

{{/*
Chart name and version for the helm.sh/chart label ("+" is not allowed in label values).
*/}}
{{- define "goplay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource. Each template adds app.kubernetes.io/component (web, proxy).
*/}}
{{- define "goplay.labels" -}}
helm.sh/chart: {{ include "goplay.chart" . }}
{{ include "goplay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: goplay
{{- end }}

{{/*
Selector labels: immutable once a Deployment exists, so nothing version-dependent here.
*/}}
{{- define "goplay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "goplay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "goplay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "goplay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The PersistentVolumeClaim Web mounts for snippets (created by the chart or existing).
*/}}
{{- define "goplay.web.claimName" -}}
{{- default (printf "%s-web-data" (include "goplay.fullname" . | trunc 54 | trimSuffix "-")) .Values.persistence.existingClaim }}
{{- end }}
