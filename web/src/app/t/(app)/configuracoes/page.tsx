import { Settings } from "@/components/Settings";

export const metadata = { title: "Configurações" };

export default function SettingsPage() {
  return <Settings />;
}
