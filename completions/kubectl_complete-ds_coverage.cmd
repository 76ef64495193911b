@echo off
rem kubectl (1.26 and later) runs this file, found on PATH, to complete the arguments of
rem `kubectl ds-coverage ...`: put it next to kubectl-ds_coverage.exe.
kubectl-ds_coverage.exe __complete %*
