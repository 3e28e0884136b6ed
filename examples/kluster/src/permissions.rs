//! RBAC markers for the operator: `kgen rbac` turns them into `config/rbac/role.yaml`.
