import type { NextConfig } from "next";

const config: NextConfig = {
  // Pages are rendered for each request's host (the tenant and its branding come from
  // it), so nothing is prerendered with one tenant's look.
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
