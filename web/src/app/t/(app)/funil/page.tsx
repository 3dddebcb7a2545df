import { Pipeline } from "@/components/Pipeline";

export const metadata = { title: "Funil" };

export default function PipelinePage() {
  return <Pipeline />;
}
