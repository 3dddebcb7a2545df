import { Inbox } from "@/components/Inbox";

export const metadata = { title: "Conversas" };

export default function InboxPage() {
  return <Inbox />;
}
