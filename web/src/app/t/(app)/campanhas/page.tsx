import { Campaigns } from "@/components/Campaigns";

export const metadata = { title: "Campanhas" };

export default function CampaignsPage() {
  return <Campaigns />;
}
