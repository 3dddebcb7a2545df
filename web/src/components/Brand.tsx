import type { Tenant } from "@/lib/tenant";
import { initial } from "@/lib/theme";

/** The tenant's logo and name; a monogram of its initial when it has no logo. */
export function Brand({ tenant }: { tenant: Tenant }) {
  return (
    <div className="brand">
      {tenant.logo_url ? (
        // eslint-disable-next-line @next/next/no-img-element -- a tenant's logo is on any https host
        <img src={tenant.logo_url} alt={`Logo de ${tenant.name}`} />
      ) : (
        <span className="monogram" aria-hidden="true">
          {initial(tenant)}
        </span>
      )}
      <strong>{tenant.name}</strong>
    </div>
  );
}
