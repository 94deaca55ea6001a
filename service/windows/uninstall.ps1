<#
.SYNOPSIS
  卸载 cardbridge：停止并删除服务，取消本地根证书信任，撤销安装时设置的 Firefox 策略。
  Uninstalls cardbridge: stops and deletes the service, removes the local root's trust and the Firefox
  policy value the installer set. State (local TLS files, logs, config) is kept unless -RemoveState.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File .\uninstall.ps1 -RemoveState
#>
[CmdletBinding()]
param(
    [string] $InstallDir = (Join-Path $env:ProgramFiles 'cardbridge'),
    [switch] $RemoveState
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

$ServiceName = 'cardbridged'
$RootPrefix = 'CN=cardbridge local root'
$RecordKey = 'HKLM:\SOFTWARE\cardbridge'
$RecordValue = 'FirefoxPolicyCreated'
$PolicyKeys = @(
    @{ Path = 'HKLM:\SOFTWARE\Policies\Mozilla\Firefox\Certificates'; Bit = 2 },
    @{ Path = 'HKLM:\SOFTWARE\Policies\Mozilla\Firefox'; Bit = 4 },
    @{ Path = 'HKLM:\SOFTWARE\Policies\Mozilla'; Bit = 8 }
)

function Say([string] $zh, [string] $en) { Write-Host "$zh  $en" }
function Fail([string] $zh, [string] $en) {
    Write-Host "错误：$zh  Error: $en" -ForegroundColor Red
    exit 1
}
function IsEmptyKey([string] $path) {
    if (-not (Test-Path $path)) { return $false }
    $key = Get-Item -Path $path
    return ($key.SubKeyCount -eq 0 -and $key.ValueCount -eq 0)
}

$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
if (-not (New-Object Security.Principal.WindowsPrincipal($identity)).IsInRole(
        [Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Fail '需要管理员权限：请右键“以管理员身份运行” PowerShell 后重试。' `
        'administrator rights needed: run PowerShell as administrator and try again.'
}

# ---- the service: the template (or machine service) and any per-user instances ---------------------
$services = @(Get-Service -Name $ServiceName, "${ServiceName}_*" -ErrorAction SilentlyContinue)
foreach ($s in $services) {
    if ($s.Status -ne 'Stopped') { Stop-Service -Name $s.Name -Force -ErrorAction SilentlyContinue }
}
# Instances first (they vanish at sign-out anyway), then the template.
foreach ($s in ($services | Sort-Object { $_.Name -eq $ServiceName })) {
    & sc.exe delete $s.Name | Out-Null
}
if ($services.Count -gt 0) { Say '已停止并删除服务。' 'stopped and deleted the service.' }
else { Say '服务未安装。' 'the service was not installed.' }

# ---- trust ------------------------------------------------------------------------------------------
$roots = @(Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.Subject -like "$RootPrefix*" })
foreach ($r in $roots) { Remove-Item -Path "Cert:\LocalMachine\Root\$($r.Thumbprint)" }
Say "已移除 $($roots.Count) 个本地根证书。" "removed $($roots.Count) local root(s) from the Windows store."

$old = Get-ItemProperty -Path $RecordKey -Name $RecordValue -ErrorAction SilentlyContinue
if ($null -ne $old) {
    $record = [int]$old.$RecordValue
    $policyKey = $PolicyKeys[0].Path
    $current = Get-ItemProperty -Path $policyKey -Name ImportEnterpriseRoots -ErrorAction SilentlyContinue
    if (($record -band 1) -and $null -ne $current -and $current.ImportEnterpriseRoots -eq 1) {
        Remove-ItemProperty -Path $policyKey -Name ImportEnterpriseRoots
        Say '已撤销安装时设置的 Firefox 策略。' 'removed the Firefox policy value the installer set.'
    }
    foreach ($k in $PolicyKeys) {
        if (($record -band $k.Bit) -and (IsEmptyKey $k.Path)) { Remove-Item -Path $k.Path }
    }
    Remove-ItemProperty -Path $RecordKey -Name $RecordValue
    if (IsEmptyKey $RecordKey) { Remove-Item -Path $RecordKey }
}

# ---- files and state --------------------------------------------------------------------------------
if (Test-Path $InstallDir) {
    Remove-Item -Recurse -Force $InstallDir
    Say "已删除 $InstallDir" "removed $InstallDir"
}
$stateDirs = @(
    (Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'cardbridge'),
    (Join-Path ([Environment]::GetFolderPath('ApplicationData')) 'cardbridge'),
    (Join-Path $env:ProgramData 'cardbridge')
)
if ($RemoveState) {
    foreach ($d in $stateDirs) {
        if (Test-Path $d) { Remove-Item -Recurse -Force $d; Say "已删除 $d" "removed $d" }
    }
    Say '（其他用户的 %LOCALAPPDATA%\cardbridge 需由各用户自行删除。）' `
        "(other users' %LOCALAPPDATA%\cardbridge folders are theirs to delete.)"
} else {
    Say '状态与日志已保留（使用 -RemoveState 删除）：' 'state and logs kept (-RemoveState deletes them):'
    foreach ($d in $stateDirs) { if (Test-Path $d) { Write-Host "  $d" } }
}
Say '卸载完成。' 'Uninstalled.'
