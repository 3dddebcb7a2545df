import { Contacts } from "@/components/Contacts";

export const metadata = { title: "Contatos" };

export default function ContactsPage() {
  return <Contacts />;
}
