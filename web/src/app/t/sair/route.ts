import { NextResponse, type NextRequest } from "next/server";
import { supabaseServer } from "@/lib/supabase/server";

// Ends the session and goes back to the sign-in page, saying why when there is a reason
// (?motivo=outra-clinica: the account belongs to another clinic).
export async function GET(request: NextRequest) {
  const supabase = await supabaseServer();
  await supabase.auth.signOut();
  const motivo = request.nextUrl.searchParams.get("motivo");
  const to = new URL("/entrar", `http://${request.headers.get("host")}`);
  if (motivo) {
    to.searchParams.set("motivo", motivo);
  }
  return NextResponse.redirect(to, 303);
}
